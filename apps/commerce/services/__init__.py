"""Every write of the E-commerce app with a rule: keyword-only functions taking `actor=`."""
