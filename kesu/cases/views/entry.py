"""Placeholder until the UI slice lands."""

from django.http import Http404


def case_new(request, *args, **kwargs):
    raise Http404


def customer_lookup(request, *args, **kwargs):
    raise Http404
