"""Every CRM write with a business rule, a module per aggregate: called alike by the API, the
pages, the admin, the CSV import and the demo seeder. Each is one transaction, validates before
saving and records its audit entries (through the kit's writes, apps.core.kit.writes).

- `ownership`: who may own a record, who may give one to someone else, sharing, reassignment;
- `records`: accounts, contacts, activities; the generic update and delete of every record;
- `leads`: leads and their conversion;
- `pipeline`: stages and opportunities moving through them;
- `setup`: the defaults every tenant starts with.

`actor` is the user acting (None: the system, e.g. the demo seeder): the ownership rules are
checked against it here, once, whatever door the write came through.
"""
