from django.urls import path

from kesu.triage import views

app_name = "triage"
urlpatterns = [
    path("batch-problems/", views.batch_problems, name="batch_problems"),
    path("similar/<str:number>/", views.similar_cases, name="similar"),
]
