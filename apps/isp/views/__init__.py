"""Server-rendered pages of the ISP app: the staff area (/isp/) and the customer portal
(/portal/)."""
