"""Offline evaluation of the recommender against public baselines (``manage.py recommend_evaluate``)."""
