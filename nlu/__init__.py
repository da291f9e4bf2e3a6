"""Natural-language understanding: intents and entities, trained from Rasa 3.x NLU YAML.

`nlu` knows nothing of `bot`: it turns text into a `Parse` and nothing more.
"""

from nlu.entities import EntityExtractor
from nlu.errors import ModelIncompatibleError, ModelNotFoundError, NluError, TrainingDataError
from nlu.model import NluModel, TrainReport, default_data_dir, load, needs_training, train
from nlu.training_data import TrainingData, load_training_data
from nlu.types import Entity, IntentClassifier, IntentScore, Parse

__all__ = [
    "Entity",
    "EntityExtractor",
    "IntentClassifier",
    "IntentScore",
    "ModelIncompatibleError",
    "ModelNotFoundError",
    "NluError",
    "NluModel",
    "Parse",
    "TrainReport",
    "TrainingData",
    "TrainingDataError",
    "default_data_dir",
    "load",
    "load_training_data",
    "needs_training",
    "train",
]
