"""A title is never a part of a person's name (audit F9): "# interviewer: Dr. Alice Turner" must not
make "Dr." Alice Turner's, or every other doctor ("Dr. Patel") would get her placeholder."""

import pytest
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.redact import redact, whole_names_by_part
from qualflow.pipeline.turns import parse_turns


@pytest.mark.parametrize("title", ["Dr.", "Dr", "DR.", "Prof.", "Mrs.", "Nurse", "Sister"])
def test_a_title_with_or_without_its_full_stop_is_no_name_part(title):
    parts = whole_names_by_part({f"{title} Alice Turner"})
    assert set(parts) == {"alice", "turner"}, parts


def test_another_doctor_does_not_get_the_header_doctors_placeholder():
    text = ("# participant: P7\n# interviewer: Dr. Alice Turner\n\n"
            "Interviewer: Who looks after you?\n\n"
            "P7: Dr. Patel does, and Alice was kind when I first came in.\n")
    names = Pseudonymiser()
    redacted = redact(text, parse_turns(text), [], names)
    alice = names.placeholder("PERSON", "Dr. Alice Turner")
    assert "Alice" not in redacted.text and "Turner" not in redacted.text
    answer = redacted.text.split("P7: ", 1)[1]
    # "Alice" alone is hers; "Dr." before Patel stays a title and is nobody's placeholder.
    assert answer.startswith("Dr. Patel does, and " + alice), answer
    assert answer.count(alice) == 1, answer
