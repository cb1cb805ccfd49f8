from django.urls import path

from kesu.triage import views

app_name = "triage"
urlpatterns = [
    path("batch-problems/", views.batch_problems, name="batch_problems"),
    path("case/<str:number>/", views.case_boxes, name="case_boxes"),
    path("models/", views.models, name="models"),
    path("models/retrain/", views.models_retrain, name="models_retrain"),
    path("models/activate/", views.models_activate, name="models_activate"),
]
