"""Where each injection site is in the standard vocabularies: SNOMED CT body structures and CDISC LOC/LAT.

SNOMED CT codes are the body structure concepts (laterality is a separate qualifier in SNOMED CT;
the FHIR body site keeps it in its text); CDISC terms are from the LOC and LAT codelists.
'Other' has no code.
"""
from dataclasses import dataclass

from .choices import InjectionSite


@dataclass(frozen=True)
class BodySite:
    snomed_code: str
    snomed_display: str
    cdisc_location: str
    laterality: str  # "left" / "right"

    @property
    def cdisc_laterality(self):
        return self.laterality.upper()


_REGIONS = {
    "abdomen": ("113345001", "Abdominal structure", "ABDOMEN"),
    "thigh": ("68367000", "Thigh structure", "THIGH"),
    "upper_arm": ("40983000", "Upper arm structure", "UPPER ARM"),
    "buttock": ("46862004", "Buttock structure", "BUTTOCK"),
}

BODY_SITES = {
    site.value: BodySite(*_REGIONS[site.value.rsplit("_", 1)[0]], site.value.rsplit("_", 1)[1])
    for site in InjectionSite if site != InjectionSite.OTHER
}
