"""Generated pickers served as form media: their md5 follows the registry, without republishing the form."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sqlmodel import Session

from forms.build import build_xlsform
from server.accounts.app_users import create_app_user
from server.places import villages as registry
from server.places.media import communes_csv, villages_csv
from server.publishing.forms import publish_xform
from tests.collect_client import CollectClient
from tests.conftest import PLACES_FORM, Live


def test_manifest_hash_changes_when_a_village_is_confirmed(
    live: Live, backan: Session, collect: Callable[[str], CollectClient]
) -> None:
    published = publish_xform(
        session=backan, store=live.store, xform=build_xlsform(PLACES_FORM, file_type=".md").xform, media={}
    )
    assert published.media == ("communes.csv", "villages.csv")
    _, token = create_app_user(session=backan, name="Phone")
    client = collect(live.key_url(token))
    (form,) = client.form_list()

    def manifest() -> dict[str, tuple[str, bytes]]:
        return {name: (md5, client.get(url).content) for name, md5, url in client.manifest(form)}

    before = manifest()
    assert before["communes.csv"][1] == communes_csv(backan)
    assert before["villages.csv"][1] == villages_csv(backan)
    for md5, data in before.values():
        assert md5 == hashlib.md5(data).hexdigest()
    village = registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài")
    assert manifest() == before  # proposals are not served
    registry.confirm(session=backan, ref=village.code)
    after = manifest()
    assert after["communes.csv"] == before["communes.csv"]
    assert after["villages.csv"][0] != before["villages.csv"][0]
    assert b"01864-001,Th\xc3\xb4n N\xc3\xa0 P\xc3\xa0i,01864," in after["villages.csv"][1]
    (same,) = client.form_list()
    assert same.hash == form.hash  # the form itself did not change
