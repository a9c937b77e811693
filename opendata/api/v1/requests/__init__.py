"""/api/v1/requests: requests for disclosure (依申请公开) and data-access applications.

``public``: submission, status by tracking code and contact, the applicant's correction and
attachment links, one's own requests, the working-day calculator; it holds the blueprint.
``staff``: the queue, a request's record and every handling action, the Art. 44 listing (its
routes join the same blueprint when it is imported). Work happens in opendata.services.requests.
"""
