"""`patron manage survey_rollups`: the roll-ups recomputed from the responses."""

import io

import pytest
from django.core.management import CommandError, call_command

from patron.feedback.models import ResponseRollup
from tests.feedback.factories import SurveyFactory
from tests.feedback.results_helpers import make_response

pytestmark = pytest.mark.django_db


def test_rebuilds_what_was_written_without_rollup_add(north_customer):
    survey = SurveyFactory()
    make_response(survey, north_customer, 9, rollup=False)
    assert not ResponseRollup.objects.exists()
    out = io.StringIO()
    call_command("survey_rollups", "--survey", str(survey.pk), stdout=out)
    assert "roll-up rows written" in out.getvalue()
    assert ResponseRollup.objects.get(survey=survey, dimension="all").favourable == 1
    with pytest.raises(CommandError):
        call_command("survey_rollups", "--survey", "999999")
