"""Report pages: permissions, run now, status, detail with table and SVG charts, downloads."""
import csv
import io
import json
from datetime import date

import pytest
from django.urls import reverse

from apps.products.models import ReferenceProfile
from apps.reports import services
from apps.reports.models import AggregateReport, ReportStatus
from tests.factories import ProductFactory, UserFactory
from tests.reports.cohort import AS_OF, build_cohort

pytestmark = pytest.mark.django_db


def done_report(product, **kwargs):
    report = services.report_request(product=product, as_of=AS_OF, queue=False, **kwargs)
    return services.report_run(report_id=report.pk)


def urls(pk):
    return [reverse("reports:list"), reverse("reports:run"), reverse("reports:detail", args=[pk]),
            reverse("reports:status", args=[pk]), reverse("reports:download_json", args=[pk]),
            reverse("reports:download_csv", args=[pk])]


def test_anonymous_users_are_sent_to_the_login_page(client, product):
    report = done_report(product)
    for url in urls(report.pk):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_reporters_are_refused_every_report_page(client, reporter, product):
    report = done_report(product)
    client.force_login(reporter)
    for url in urls(report.pk):
        assert client.get(url).status_code == 403, url


def test_the_nav_shows_reports_to_analysts_only(client, analyst, reporter):
    client.force_login(analyst)
    assert reverse("reports:list") in client.get(reverse("reports:list")).content.decode()
    client.force_login(reporter)
    assert reverse("reports:list") not in client.get(reverse("dashboard:home")).content.decode()


def test_run_now_records_the_request_and_queues_it_on_commit(client, analyst, product,
                                                             django_capture_on_commit_callbacks):
    client.force_login(analyst)
    assert client.get(reverse("reports:run")).status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("reports:run"), {"product": product.pk, "as_of": "2026-06-30"})
    report = AggregateReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[report.pk])
    assert report.status == ReportStatus.QUEUED and report.requested_by == analyst and not report.scheduled
    assert len(callbacks) == 1  # the task is sent only once the request is committed

    page = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in page and "queued" in page
    status = client.get(reverse("reports:status", args=[report.pk])).json()
    assert status == {"id": report.pk, "status": "queued", "finished": False, "error": None,
                      "url": reverse("reports:detail", args=[report.pk])}
    assert client.get(reverse("reports:download_json", args=[report.pk])).status_code == 409
    assert client.get(reverse("reports:download_csv", args=[report.pk])).status_code == 409


def test_run_now_on_unchanged_data_shows_the_existing_report(client, analyst, product):
    report = done_report(product)
    client.force_login(analyst)
    response = client.post(reverse("reports:run"), {"product": product.pk, "as_of": "2026-06-30"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:detail", args=[report.pk])
    assert "have not changed" in response.content.decode()
    assert AggregateReport.objects.count() == 1


@pytest.mark.parametrize("data, field, message", [
    ({"as_of": "2999-01-01"}, "as_of", "cannot be in the future"),
    ({"as_of": ""}, "as_of", "This field is required"),
    ({"exposure_start_from": "2026-05-01", "exposure_start_to": "2026-04-01"}, "exposure_start_to",
     "before its beginning"),
    ({"dose_mg_per_day": "-5"}, "dose_mg_per_day", "greater than or equal to 0.01"),
])
def test_run_now_rejects_bad_parameters_naming_the_field(client, analyst, product, data, field, message):
    client.force_login(analyst)
    response = client.post(reverse("reports:run"), {"product": product.pk, "as_of": "2026-06-30", **data})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not AggregateReport.objects.exists()


def test_run_now_rejects_a_reference_profile_of_another_product(client, analyst, product):
    other = ProductFactory(code="other-biologic")
    profile = ReferenceProfile.objects.create(product=other, label="Other", source_citation="x",
                                              effective_date=date(2020, 1, 1), isr_incidence="0.5")
    client.force_login(analyst)
    response = client.post(reverse("reports:run"), {"product": product.pk, "as_of": "2026-06-30",
                                                    "reference_profile": profile.pk})
    assert response.status_code == 400
    assert "belongs to" in response.context["form"].errors["reference_profile"][0]


def test_the_detail_page_shows_the_table_verdicts_and_four_svg_charts(client, reviewer, site, other_site, product):
    build_cohort(site, other_site)
    report = done_report(product)
    client.force_login(reviewer)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert 'data-measure="isr_incidence"' in page and "80.0%" in page and "64.4%" in page
    assert "28.4% – 99.5%" in page  # Clopper–Pearson of 4/5
    assert page.count(">consistent<") == 3  # incidence, mild/moderate share, duration median
    assert page.count("<svg") == 4
    for chart in ("chart-incidence", "chart-duration", "chart-severity", "chart-time-to-first"):
        assert f'id="{chart}"' in page
    assert "Reference 14–28 days" in page and "Reference 64.4%" in page
    assert "Exposure is clipped to D" in page  # the definitions are stated
    assert "<script" not in page.split("<main")[1].split("</main>")[0]  # charts need no JavaScript


def test_the_downloads_hold_the_snapshot(client, analyst, site, other_site, product):
    build_cohort(site, other_site)
    report = done_report(product)
    client.force_login(analyst)
    response = client.get(reverse("reports:download_json", args=[report.pk]))
    assert response["Content-Disposition"].endswith('isr-report-%d-anakinra-all-sites-2026-06-30.json"' % report.pk)
    data = json.loads(response.content)
    assert data["results"] == report.results
    assert data["parameters"]["as_of"] == "2026-06-30" and data["data_fingerprint"] == report.data_fingerprint
    assert data["reference_profile"]["figures"]["isr_incidence"] == "0.64400"
    assert data["code_version"] and data["verdicts"]["isr_incidence"] == "consistent"

    response = client.get(reverse("reports:download_csv", args=[report.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "value", "ci95_low", "ci95_high"]
    by_key = {row[1]: row for row in rows[1:]}
    assert by_key["exposed_patients"][2] == "5"
    assert float(by_key["isr_incidence_ci95"][3]) == pytest.approx(0.2835821, abs=1e-7)
    assert by_key["reference_duration_days"][3:] == ["14", "28"]


def test_a_site_bound_analyst_sees_only_reports_of_their_site(client, site, other_site, product):
    analyst = UserFactory(username="site-analyst", site=site, roles=["analyst"])
    own = done_report(product, site=site)
    other = done_report(product, site=other_site)
    everyone = done_report(product)
    client.force_login(analyst)
    listing = client.get(reverse("reports:list")).content.decode()
    assert f">#{own.pk}<" in listing and f">#{other.pk}<" not in listing and f">#{everyone.pk}<" not in listing
    assert client.get(reverse("reports:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("reports:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("reports:download_json", args=[everyone.pk])).status_code == 404
    form = client.get(reverse("reports:run")).context["form"]
    assert list(form.fields["site"].queryset) == [site]
    response = client.post(reverse("reports:run"), {"product": product.pk, "as_of": "2026-06-30",
                                                    "site": other_site.pk})
    assert response.status_code == 400 and "site" in response.context["form"].errors


def test_a_duplicate_request_redirects_to_the_snapshot_it_matched(client, analyst, product):
    first = done_report(product)
    duplicate = AggregateReport.objects.create(product=product, as_of=AS_OF, reference_profile=first.reference_profile,
                                               params_key=first.params_key)
    services.report_run(report_id=duplicate.pk)
    client.force_login(analyst)
    response = client.get(reverse("reports:detail", args=[duplicate.pk]))
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[first.pk])
    assert client.get(reverse("reports:status", args=[duplicate.pk])).json()["status"] == "duplicate"


def test_a_failed_report_shows_its_error(client, analyst, product):
    report = services.report_request(product=product, as_of=AS_OF, queue=False)
    AggregateReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error="ValueError: boom")
    client.force_login(analyst)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "The report failed." in page and "ValueError: boom" in page
