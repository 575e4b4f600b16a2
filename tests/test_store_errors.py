"""A failed database write names what failed, never the values it tried to write."""

import pytest
from qualflow.models import Pseudonym, Store
from sqlalchemy.exc import IntegrityError


def test_a_failed_write_does_not_carry_the_real_name_into_its_message(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    with store.session() as session:
        session.add(Pseudonym(kind="PERSON", real="margaret thompson", placeholder="[PERSON_1]"))
    with pytest.raises(IntegrityError) as raised, store.session() as session:
        session.add(Pseudonym(kind="PERSON", real="rachel kim", placeholder="[PERSON_1]"))
    message = str(raised.value)
    assert "pseudonyms" in message  # the statement is named …
    assert "rachel kim" not in message and "[PERSON_1]" not in message  # … its values are not
