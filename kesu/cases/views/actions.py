"""Placeholder until the UI slice lands."""

from django.http import Http404


def case_action(request, *args, **kwargs):
    raise Http404


def verification_record(request, *args, **kwargs):
    raise Http404


def plan_propose(request, *args, **kwargs):
    raise Http404


def plan_decide(request, *args, **kwargs):
    raise Http404


def feedback_record(request, *args, **kwargs):
    raise Http404


def assign(request, *args, **kwargs):
    raise Http404


def handover(request, *args, **kwargs):
    raise Http404


def classify(request, *args, **kwargs):
    raise Http404


def unmask(request, *args, **kwargs):
    raise Http404


def note_add(request, *args, **kwargs):
    raise Http404


def communication_log(request, *args, **kwargs):
    raise Http404


def collaboration_request(request, *args, **kwargs):
    raise Http404


def collaboration_answer(request, *args, **kwargs):
    raise Http404
