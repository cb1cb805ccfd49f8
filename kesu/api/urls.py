from django.urls import path, re_path

from kesu.api.api import api
from kesu.api.errors import unknown_path

urlpatterns = [
    path("", api.urls),
    re_path(r"^(?P<path>.*)$", unknown_path),
]
