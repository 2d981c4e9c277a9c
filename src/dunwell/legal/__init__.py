"""Legal: referral rules (data), eligibility of a case for referral, the evidence
bundle's manifest, demand letters and the legal case's life cycle with its costs.
Pure."""
