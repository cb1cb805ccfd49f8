"""Placeholder until the UI slice lands."""

from django.http import Http404


def case_detail(request, *args, **kwargs):
    raise Http404


def attachment_download(request, *args, **kwargs):
    raise Http404
