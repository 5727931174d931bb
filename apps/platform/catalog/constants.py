"""The catalog's fixed vocabulary: the keys of the apps it sells (DESIGN.md §2).

Each key is a catalog app that declares itself (its areas and URL prefixes, by which licensing
switches it off) in its apps.py: apps.core.kit.declaration.
"""

ISP, CRM, COMMERCE, PROJECTS = "isp", "crm", "commerce", "projects"
APP_KEYS = (ISP, CRM, COMMERCE, PROJECTS)
