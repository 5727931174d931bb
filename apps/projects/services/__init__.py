"""Every write of Project Management with a rule (keyword-only, `actor=`): the API, the pages,
the admin and the demo call the same functions."""
