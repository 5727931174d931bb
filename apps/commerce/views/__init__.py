"""Pages of the E-commerce app (the page kit: apps.core.kit.pages): the back office at
/commerce/ (area `commerce`: views/back_office.py) and the storefront at /shop/ (area
`commerce.shop`, public: the area middleware lets anonymous visitors in, licensing still
applies: views/shop.py)."""
