"""The triage card and the API's `triage` object (R-CL-3, R-CL-5).

The case page holds a placeholder; htmx fetches the card (and the similar
complaints) from `triage:case_boxes`.
Cases are triaged by the real shipped model and rules, through the task queued when
the intake commits; expected confidences are read back from the stored event.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kesu.accounts.models import Role
from kesu.accounts.permissions import ROLE_CAPABILITIES, Capability
from kesu.cases.models import Case, Product
from kesu.cases.selectors import case_get
from kesu.cases.services import case_assign, case_classify, event_append
from kesu.triage.models import RoutingRule
from kesu.triage.selectors import case_triage_summary
from tests.api.conftest import ApiClient, issue_token
from tests.factories import make_case, top_category

LATE_PARCEL = "快递三天还没到"
SMOKE_AND_THREAT = "充电的时候冒烟了，我要打12315"


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def product(db) -> Product:
    return Product.objects.create(code="washer-x1", name="洗衣机X1")


@pytest.fixture
def triaged(agent, store, django_capture_on_commit_callbacks):
    """Receive a case and let the triage task run, as after a real intake."""

    def receive(**overrides: object) -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(by=agent, store=store, **overrides)
        case.refresh_from_db()
        return case

    return receive


def page(client, user, case) -> str:
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.number]))
    assert response.status_code == 200
    return response.content.decode()


def card_html(client, user, case) -> str:
    """The triage boxes as the case page's placeholder loads them."""
    client.force_login(user)
    response = client.get(reverse("triage:case_boxes", args=[case.number]))
    assert response.status_code == 200
    return response.content.decode()


def row(html: str, field: str) -> str:
    return html.split(f'data-field="{field}"')[1].split("</tr>")[0]


def record(case: Case) -> dict:
    event = case.events.get(type__in=["case.classified", "triage.suggested"])
    return event.data["triage"]


def percent(value: float) -> str:
    return f"{round(value * 100)}%"


def test_applied_triage_shows_each_field_with_its_confidence(
    client, agent, settings, triaged
):
    """R-CL-3: staff see what triage applied and how sure it was."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.5
    case = triaged(description=LATE_PARCEL)
    confidences = record(case)["confidences"]

    html = card_html(client, agent, case)

    assert case.category.code == "logistics"
    assert "Applied automatically" in html
    category = row(html, "category")
    assert "Logistics and delivery" in category
    assert percent(confidences["category"]) in category
    assert f'value="{round(confidences["category"] * 100)}"' in category
    assert "<meter" in category
    assert 'low="50"' in category
    assert ">applied<" in category
    assert "Late delivery" in row(html, "subcategory")
    assert "low=" not in row(html, "subcategory")
    assert percent(confidences["emotion"]) in row(html, "emotion")
    assert "changed by staff" not in html
    assert "Needs triage" not in html.split('id="triage"')[1].split("</section>")[0]


def test_suggestion_below_the_threshold_needs_triage(client, agent, settings, triaged):
    """R-CL-3: a weak suggestion is shown as such, with its confidence."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.95
    case = triaged(description=LATE_PARCEL)
    confidences = record(case)["confidences"]

    html = card_html(client, agent, case)

    card = html.split('id="triage"')[1].split("</section>")[0]
    assert case.category is None
    assert "Suggestion only" in card
    assert "Needs triage" in card
    assert "Applied automatically" not in card
    category = row(card, "category")
    assert "Logistics and delivery" in category
    assert percent(confidences["category"]) in category
    assert ">applied<" not in category


def test_rule_words_model_version_and_language_are_shown(client, agent, triaged):
    """R-CL-2: the safety and threat words that made the case major are named."""
    case = triaged(description=SMOKE_AND_THREAT)
    triage = record(case)

    html = card_html(client, agent, case)

    assert case.severity == "major"
    card = html.split('id="triage"')[1].split("</section>")[0]
    assert "冒烟" in triage["reasons"]
    for word in triage["reasons"]:
        assert f'<span class="rule-word">{word}</span>' in card
    assert triage["model_version"] in card
    assert "Chinese" in card
    severity = row(card, "severity")
    assert "Major" in severity
    assert "100%" in severity
    assert ">applied<" in severity


def test_repeat_links_the_earlier_case(client, agent, store, product, triaged):
    """R-CL-5: a repeat complaint names and links the case it repeats."""
    earlier = make_case(
        by=agent,
        store=store,
        product=product,
        received_at=timezone.now() - dt.timedelta(days=3),
    )
    case = triaged(product=product)

    html = card_html(client, agent, case)

    url = reverse("cases:detail", args=[earlier.number])
    assert f'<a href="{url}">{earlier.number}</a> · same product' in html


def test_repeat_of_a_case_out_of_scope_is_named_but_not_linked(
    client, agent, handler, store, product, after_sales, logistics, triaged
):
    """R-SEC-1: the viewer gets no link to a case they may not open."""
    earlier = make_case(
        by=agent,
        store=store,
        product=product,
        department=logistics,
        received_at=timezone.now() - dt.timedelta(days=3),
    )
    case = triaged(product=product, department=after_sales)

    html = card_html(client, handler, case)

    repeat = html.split('class="repeat-of">')[1].split("</dd>")[0]
    assert earlier.number in repeat
    assert "<a " not in repeat


def test_case_page_loads_the_card_from_the_triage_app(client, agent, triaged):
    case = triaged(description=LATE_PARCEL)

    html = page(client, agent, case)

    url = reverse("triage:case_boxes", args=[case.number])
    slot = html.split('id="similar-cases"')[1].split("</section>")[0]
    assert f'hx-get="{url}"' in slot
    assert 'hx-trigger="load"' in slot
    assert 'id="triage"' not in html


def test_case_without_triage_gets_no_card(client, agent, store):
    case = make_case(by=agent, store=store)  # the triage task never ran

    html = card_html(client, agent, case)

    assert 'id="triage"' not in html
    assert 'id="similar-cases"' in html
    assert "No similar complaints." in html


def test_card_of_a_case_out_of_scope_is_404(client, other_handler, triaged):
    """R-SEC-1: the fragment, like the page, never says whether the case exists."""
    case = triaged(description=LATE_PARCEL)
    client.force_login(other_handler)

    response = client.get(reverse("triage:case_boxes", args=[case.number]))
    unknown = client.get(reverse("triage:case_boxes", args=["KS-19990101-0001"]))

    assert response.status_code == 404
    assert unknown.status_code == 404


def test_card_is_left_out_for_a_role_without_internal_events(
    client, quality, triaged, monkeypatch
):
    """Triage is internal, like the events it comes from."""
    case = triaged(description=LATE_PARCEL)
    monkeypatch.setitem(
        ROLE_CAPABILITIES, Role.QUALITY, frozenset({Capability.CASE_SEE_ALL})
    )

    html = card_html(client, quality, case)

    assert 'id="triage"' not in html
    assert 'id="similar-cases"' in html


def test_card_needs_a_signed_in_user(client, triaged):
    case = triaged(description=LATE_PARCEL)

    response = client.get(reverse("triage:case_boxes", args=[case.number]))

    assert response.status_code == 302


def test_staff_reclassification_is_marked_as_changed(
    client, agent, handler, settings, triaged
):
    """R-CL-3: the card tells what triage applied from what staff decided since."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.5
    case = triaged(description=LATE_PARCEL)
    case_classify(
        case=case,
        by=agent,
        category=top_category("product_quality"),
        subcategory=None,
        severity=case.severity,
        impact_grade=case.impact_grade,
    )

    html = card_html(client, agent, case)

    assert "changed by staff" in row(html, "category")
    assert "changed by staff" in row(html, "subcategory")
    assert "changed by staff" not in row(html, "severity")
    assert "Logistics and delivery" in row(html, "category")


def test_routed_department_is_shown_and_marked_when_staff_move_it(
    client, agent, supervisor, after_sales, logistics, settings, triaged
):
    """R-CL-4: the routed department is a rule's choice, not a guess."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.5
    RoutingRule.objects.create(
        category=top_category("logistics"), department=after_sales
    )
    case = triaged(description=LATE_PARCEL)
    routed = card_html(client, agent, case)
    case_assign(case=case, department=logistics, assignee=None, by=supervisor)

    moved = card_html(client, agent, case)

    assert "After-sales" in row(routed, "department")
    assert "routing rule" in row(routed, "department")
    assert "changed by staff" not in row(routed, "department")
    assert "After-sales" in row(moved, "department")
    assert "changed by staff" in row(moved, "department")


def test_odd_or_old_triage_record_still_renders(client, agent, store):
    """An event without confidences or with an unknown code shows what it has."""
    case = make_case(by=agent, store=store)
    event_append(
        case=case,
        type="triage.suggested",
        actor=None,
        data={"triage": {"suggestion": {"category": "no_such_code"}}},
    )

    html = card_html(client, agent, case)

    category = row(html, "category")
    assert "no_such_code" in category
    assert "<meter" not in category
    assert "routing rule" not in category


def test_api_detail_has_the_triage_object(agent, settings, triaged):
    """The API carries the same content as the card."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.5
    case = triaged(description=LATE_PARCEL)
    confidences = record(case)["confidences"]
    api = ApiClient(issue_token(agent))

    body = api.get(f"/cases/{case.number}").json()["triage"]

    fields = {field["name"]: field for field in body["fields"]}
    assert body["is_applied"] is True
    assert body["needs_triage"] is False
    assert body["threshold"] == 0.5
    assert body["language"] == "zh"
    assert body["repeat_of"] is None
    assert fields["category"]["value"] == "logistics"
    assert fields["category"]["confidence"] == confidences["category"]
    assert fields["category"]["is_applied"] is True
    assert fields["category"]["is_changed"] is False
    assert fields["category"]["threshold"] == 0.5
    assert fields["emotion"]["is_applied"] is False
    assert fields["emotion"]["threshold"] is None
    assert body["triaged_at"].endswith("+00:00")


def test_api_triage_is_null_without_triage(agent, store):
    case = make_case(by=agent, store=store)

    body = ApiClient(issue_token(agent)).get(f"/cases/{case.number}").json()

    assert body["triage"] is None


def test_openapi_describes_the_triage_object(db, client):
    openapi = client.get("/api/v1/openapi.json").json()
    schemas = openapi["components"]["schemas"]
    detail = openapi["paths"]["/api/v1/cases/{number}"]["get"]["responses"]["200"]
    served = detail["content"]["application/json"]["schema"]["$ref"].split("/")[-1]

    triage = schemas[served]["properties"]["triage"]
    assert {"$ref": "#/components/schemas/TriageOut"} in triage["anyOf"]
    assert {"fields", "repeat_of", "reasons", "model_version"} <= set(
        schemas["TriageOut"]["properties"]
    )


def test_inactive_user_sees_no_triage(agent, settings, triaged):
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.5
    case = triaged(description=LATE_PARCEL)
    agent.is_active = False

    assert case_triage_summary(case=case, user=agent) is None


def test_summary_reads_one_query_when_the_case_holds_the_names(
    agent, settings, triaged, django_assert_num_queries
):
    """Applied and untouched: the events only; the names come with the case.

    (And the agent's stores, read when their scope is built: `case_scope`.)
    """
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.5
    case = case_get(user=agent, number=triaged(description=LATE_PARCEL).number)

    with django_assert_num_queries(2), translation.override("zh-hans"):
        summary = case_triage_summary(case=case, user=agent)

    assert summary is not None
    assert summary.fields[0].display == "物流配送"


def test_summary_reads_two_queries_at_most(
    manager,
    logistics,
    after_sales,
    settings,
    triaged,
    product,
    django_assert_num_queries,
):
    """A suggestion not taken, a department moved and a repeat: still two queries."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.95
    RoutingRule.objects.create(department=after_sales)
    triaged(product=product, description=LATE_PARCEL)
    number = triaged(product=product, description=LATE_PARCEL).number
    case_assign(
        case=Case.objects.get(number=number),
        department=logistics,
        assignee=None,
        by=manager,
    )
    case = case_get(user=manager, number=number)

    with django_assert_num_queries(2), translation.override("zh-hans"):
        summary = case_triage_summary(case=case, user=manager)

    names = {field.name: field for field in summary.fields}
    assert names["category"].display == "物流配送"
    assert names["department"].display == "售后部"
    assert names["department"].is_changed
    assert summary.repeat_of is not None


def test_detail_page_and_card_with_a_suggestion_and_a_repeat_are_pinned(
    client, agent, product, settings, triaged, django_assert_num_queries
):
    """The page does not read the triage; the boxes read scope, case and summary."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.95
    triaged(product=product, description=LATE_PARCEL)
    case = triaged(product=product, description=LATE_PARCEL)
    client.force_login(agent)
    client.get(reverse("cases:detail", args=[case.number]))

    with django_assert_num_queries(13):
        page = client.get(reverse("cases:detail", args=[case.number]))
    # session, user, the agent's stores, the case, its people; the summary's
    # stores again (the repeat's link), events and names of the suggestion not
    # taken; the case's near-duplicate signature (no similar cases to read).
    with django_assert_num_queries(9):
        response = client.get(reverse("triage:case_boxes", args=[case.number]))

    assert "triage" not in page.context
    summary = response.context["triage"]
    assert summary.repeat_of is not None
    assert not summary.is_applied


def test_timeline_names_the_repeat_and_suggestion_events(
    client, agent, store, product, triaged, settings
):
    """Every triage event reads as a sentence on the timeline, not as its code."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 1.0  # nothing applied: a suggestion
    earlier = make_case(
        by=agent,
        store=store,
        product=product,
        received_at=timezone.now() - dt.timedelta(days=3),
    )
    case = triaged(product=product, description=LATE_PARCEL)

    timeline = page(client, agent, case).split('id="timeline"')[1]

    assert "Repeat complaint linked" in timeline
    assert f"Repeat of {earlier.number} · same product" in timeline
    assert "Classification suggested" in timeline
    assert "category confidence" in timeline
    assert "case.repeat_linked</strong>" not in timeline
