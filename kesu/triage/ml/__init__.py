"""Text classification for triage: pure Python + scikit-learn, no Django imports.

`text` turns a complaint into features, `model` fits/saves/loads a linear classifier
without pickle, `rules` applies the severity and emotion rules, `predictor` puts them
together behind `Predictor.predict(text) -> Prediction`.
"""
