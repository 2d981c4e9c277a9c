"""Staff training and certification. Pure.

Collectors and field agents learn the law, privacy, communication and
de-escalation, vulnerability, safety on visits and the house procedures before they
may contact a borrower; only staff with valid certificates for an action on a date
may take it.

- ``model``: staff and roles, subjects and actions, courses with modules and question
  banks, enrolments, attempts, certificates, suspensions, quality reviews, and the
  eligibility verdict.
- ``curriculum``: the courses and the action requirements, read from the TOML files
  in ``curriculum/`` (material in zh-CN and en) or from text a caller passes.
- ``rules``: eligibility for an action on a date (naming each missing, expired,
  suspended or not-yet-valid subject), scoring an attempt, issuing a certificate
  (signed by a trainer or compliance officer, never the trainee), refresher due
  dates, expiry warnings and the quality loop's refresher recommendation.
- ``errors``: typed rejections with stable codes.
"""
