from django.urls import path

from kesu.intake import import_views, views

app_name = "intake"
urlpatterns = [
    path("complaint/", views.complaint_new, name="new"),
    path(
        "complaint/received/<str:token>/",
        views.complaint_received,
        name="received",
    ),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/map/", import_views.import_map, name="import_map"),
    path("imports/<int:pk>/commit/", import_views.import_commit, name="import_commit"),
    path("imports/<int:pk>/resume/", import_views.import_resume, name="import_resume"),
    path(
        "imports/<int:pk>/errors.csv",
        import_views.import_errors_csv,
        name="import_errors_csv",
    ),
]
