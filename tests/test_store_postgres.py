"""The store on a real PostgreSQL server."""

import threading

from qualflow.models import Store, Transcript
from qualflow.models.store import display_url, normalise_url


def test_postgres_urls_use_psycopg3_and_hide_passwords():
    assert normalise_url("postgresql://u:secret@db/qualflow") == "postgresql+psycopg://u:secret@db/qualflow"
    assert normalise_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"
    assert "secret" not in display_url("postgresql://u:secret@db/qualflow")


def test_store_creates_its_tables_and_round_trips_unicode(postgres_url):
    store = Store(postgres_url)
    assert store.dialect == "postgresql"
    with store.session() as session:
        session.add(Transcript(content_hash="h" * 64, source_name="访谈.txt", language="zh", text="我们社区的[PERSON_1]医生",
                               participant="P1"))
    with store.session() as session:
        stored = session.query(Transcript).one()
        assert stored.text == "我们社区的[PERSON_1]医生"
    store.dispose()


def _two_stores_take_turns(url: str) -> list[str]:
    """Two stores on one database; the second asks for the lock while the first holds it."""
    store, other = Store(url), Store(url)
    order = []
    entered = threading.Event()

    def second():
        entered.wait()
        with other.exclusive("recluster"):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with store.exclusive("recluster"):
        entered.set()
        thread.join(timeout=0.5)  # blocked on the lock: cannot finish while we hold it
        order.append("first")
    thread.join(timeout=10)
    store.dispose()
    other.dispose()
    return order


def test_exclusive_makes_two_connections_take_turns(postgres_url):
    assert _two_stores_take_turns(postgres_url) == ["first", "second"]


def test_exclusive_on_sqlite_takes_turns_too(tmp_path):
    assert _two_stores_take_turns(f"sqlite:///{tmp_path / 'study.sqlite'}") == ["first", "second"]
