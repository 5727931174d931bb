"""Server-rendered pages of the ISP app on the page kit (apps.core.kit.pages): the staff area
(/isp/: customers.py, staff.py) and the customer portal (/portal/: portal.py), on the bases of
base.py; the dashboard's charts are drawn in charts.py."""
