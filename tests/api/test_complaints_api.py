"""/v1/complaints: a collector records a complaint heard on a call; the compliance
officer reads the queue and the complaint and sends the final response; a collector
may not read the register; bad input is 422 (or 400) and saves nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from access import token_headers
from dunwell.bootstrap import Dunwell
from dunwell.compliance.model import Jurisdiction


def test_record_queue_read_and_answer(app: Dunwell, client: TestClient) -> None:
    with app.uow() as uow:
        uow.borrowers.put(borrower_id=4, name="Person 4", jurisdiction=Jurisdiction.US_REGF,
                          timezone="America/New_York", language="en")
        uow.commit()
    collector = token_headers(app, "collector", staff_id="c-01")
    officer = token_headers(app, "compliance_officer", staff_id="co-01")
    r = client.post("/v1/complaints", headers=collector, json={
        "borrower_id": 4, "channel": "email", "category": "amount_disputed",
        "text": "The balance is wrong."})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["dispute"] and made["pauses_collection"] and made["status"] == "received"
    cid = made["complaint_id"]
    assert client.get("/v1/complaints", headers=collector).status_code == 403
    queue = client.get("/v1/complaints", headers=officer).json()
    assert [c["complaint_id"] for c in queue] == [cid]
    bad = client.post("/v1/complaints", headers=collector, json={
        "borrower_id": 4, "channel": "fax", "category": "conduct", "text": "x"})
    assert bad.status_code in (400, 422)
    assert "complaint_channel_must_be_known" in bad.text
    assert client.post(f"/v1/complaints/{cid}/answer", headers=collector,
                       json={"text": "ok"}).status_code == 403
    r = client.post(f"/v1/complaints/{cid}/answer", headers=officer,
                    json={"text": "Statement of account enclosed."})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "final_response" and not done["pauses_collection"]
    assert [e["kind"] for e in done["timeline"]] == ["received", "final_response"]
    assert done["timeline"][0]["actor"] == "c-01"
    one = client.get(f"/v1/complaints/{cid}", headers=officer).json()
    assert one["answer"] == "Statement of account enclosed."
    assert client.get("/v1/complaints/999", headers=officer).status_code == 404
    assert len(client.get("/v1/complaints", headers=officer).json()) == 1
