"""Use cases of disclosure requests (依申请公开) and data-access applications.

submit (``submit``), handle (``handling``: assign, correction, extension, pauses, notes),
charge (``charging``), decide (``decision``, ``attachments``), follow (``tracking`` for
applicants, ``queue`` for staff), the deadline sweep (``sweep``) and the Art. 44 review
(``often``). Each write use case owns its transaction and writes the timeline and the audit log
(``timeline``); messages go through the outbox (``notices``). Pure rules live in
opendata.core.requests and opendata.core.workdays.
"""
