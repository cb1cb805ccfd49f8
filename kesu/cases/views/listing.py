"""Placeholder until the UI slice lands."""

from django.http import Http404


def case_list(request, *args, **kwargs):
    raise Http404
