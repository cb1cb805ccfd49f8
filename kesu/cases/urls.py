from django.urls import path

from kesu.cases.views import actions, detail, entry, listing

app_name = "cases"

case = "<str:number>/"
urlpatterns = [
    path("", listing.case_list, name="list"),
    path("new/", entry.case_new, name="new"),
    path("customers/lookup/", entry.customer_lookup, name="customer_lookup"),
    path(case, detail.case_detail, name="detail"),
    path(
        case + "attachments/<int:attachment_id>/",
        detail.attachment_download,
        name="attachment",
    ),
    path(case + "actions/<str:action>/", actions.case_action, name="action"),
    path(case + "verification/", actions.verification_record, name="verification"),
    path(case + "plans/", actions.plan_propose, name="plan_propose"),
    path(
        case + "plans/<int:plan_id>/decision/", actions.plan_decide, name="plan_decide"
    ),
    path(case + "feedback/", actions.feedback_record, name="feedback"),
    path(case + "assignment/", actions.assign, name="assign"),
    path(case + "handover/", actions.handover, name="handover"),
    path(case + "classification/", actions.classify, name="classify"),
    path(case + "unmask/", actions.unmask, name="unmask"),
    path(case + "notes/", actions.note_add, name="note"),
    path(case + "communications/", actions.communication_log, name="communication"),
    path(
        case + "collaborations/",
        actions.collaboration_request,
        name="collaboration_request",
    ),
    path(
        case + "collaborations/<int:request_id>/answer/",
        actions.collaboration_answer,
        name="collaboration_answer",
    ),
]
