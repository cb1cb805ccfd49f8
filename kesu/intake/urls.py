from django.urls import path

from kesu.intake import views

app_name = "intake"
urlpatterns = [
    path("complaint/", views.complaint_new, name="new"),
    path(
        "complaint/received/<str:token>/",
        views.complaint_received,
        name="received",
    ),
]
