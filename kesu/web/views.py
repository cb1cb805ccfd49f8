from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    return redirect("cases:list")


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
