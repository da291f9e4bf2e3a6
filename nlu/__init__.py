"""Natural-language understanding: intents and entities, trained from Rasa 3.x NLU YAML.

`nlu` knows nothing of `bot`: it turns text into a `Parse` and nothing more.
"""

from nlu.types import Entity, IntentClassifier, IntentScore, Parse

__all__ = ["Entity", "IntentClassifier", "IntentScore", "Parse"]
