from django.urls import path

from kesu.triage import views

app_name = "triage"
urlpatterns = [
    path("batch-problems/", views.batch_problems, name="batch_problems"),
    path("similar/<str:number>/", views.similar_cases, name="similar"),
    path("models/", views.models, name="models"),
    path("models/retrain/", views.models_retrain, name="models_retrain"),
    path("models/activate/", views.models_activate, name="models_activate"),
]
