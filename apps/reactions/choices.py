"""Coded lists of the reaction record. Codes are lower_snake_case, as the CSV importer takes them."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class CtcaeGrade(models.IntegerChoices):
    GRADE_1 = 1, _("Grade 1 (mild)")
    GRADE_2 = 2, _("Grade 2 (moderate)")
    GRADE_3 = 3, _("Grade 3 (severe)")
    GRADE_4 = 4, _("Grade 4 (life-threatening)")
    GRADE_5 = 5, _("Grade 5 (death)")


class Symptom(models.TextChoices):
    ERYTHEMA = "erythema", _("Erythema")
    BRUISING = "bruising", _("Bruising")
    INFLAMMATION = "inflammation", _("Inflammation")
    PAIN = "pain", _("Pain")
    SWELLING = "swelling", _("Swelling")
    PRURITUS = "pruritus", _("Pruritus")
    OTHER = "other", _("Other")


class Seriousness(models.TextChoices):
    """The six ICH E2A seriousness criteria; independent of severity."""

    DEATH = "death", _("Results in death")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")
    HOSPITALISATION = "hospitalisation", _("Requires or prolongs hospitalisation")
    DISABILITY = "disability", _("Persistent or significant disability/incapacity")
    CONGENITAL_ANOMALY = "congenital_anomaly", _("Congenital anomaly/birth defect")
    OTHER_MEDICALLY_IMPORTANT = "other_medically_important", _("Other medically important condition")


class Outcome(models.TextChoices):
    """E2B(R3) E.i.7 outcome of the reaction at the time of last observation."""

    RECOVERED = "recovered", _("Recovered/resolved")
    RECOVERING = "recovering", _("Recovering/resolving")
    NOT_RECOVERED = "not_recovered", _("Not recovered/not resolved/ongoing")
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", _("Recovered/resolved with sequelae")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


class ActionTaken(models.TextChoices):
    WITHDRAWN = "withdrawn", _("Drug withdrawn")
    DOSE_REDUCED = "dose_reduced", _("Dose reduced")
    DOSE_INCREASED = "dose_increased", _("Dose increased")
    UNCHANGED = "unchanged", _("Dose not changed")
    UNKNOWN = "unknown", _("Unknown")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Causality(models.TextChoices):
    """WHO-UMC causality categories."""

    CERTAIN = "certain", _("Certain")
    PROBABLE = "probable", _("Probable/likely")
    POSSIBLE = "possible", _("Possible")
    UNLIKELY = "unlikely", _("Unlikely")
    CONDITIONAL = "conditional", _("Conditional/unclassified")
    UNASSESSABLE = "unassessable", _("Unassessable/unclassifiable")


class InjectionSite(models.TextChoices):
    ABDOMEN_LEFT = "abdomen_left", _("Abdomen, left")
    ABDOMEN_RIGHT = "abdomen_right", _("Abdomen, right")
    THIGH_LEFT = "thigh_left", _("Thigh, left")
    THIGH_RIGHT = "thigh_right", _("Thigh, right")
    UPPER_ARM_LEFT = "upper_arm_left", _("Upper arm, left")
    UPPER_ARM_RIGHT = "upper_arm_right", _("Upper arm, right")
    BUTTOCK_LEFT = "buttock_left", _("Buttock, left")
    BUTTOCK_RIGHT = "buttock_right", _("Buttock, right")
    OTHER = "other", _("Other")


class ReporterQualification(models.TextChoices):
    """E2B(R3) C.2.r.4 qualification of the primary source."""

    PHYSICIAN = "physician", _("Physician")
    PHARMACIST = "pharmacist", _("Pharmacist")
    OTHER_HEALTH_PROFESSIONAL = "other_health_professional", _("Other health professional")
    LAWYER = "lawyer", _("Lawyer")
    CONSUMER = "consumer", _("Consumer or other non health professional")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned to the site")
    REVIEWED = "reviewed", _("Reviewed (locked)")


# The states in which the site (its reporters) edits and (re)submits.
SITE_EDITABLE = (Status.DRAFT, Status.RETURNED)


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    QUESTION = "question", _("Question to the site (case returned)")


# CTCAE v5 grades that go with each severity (intensity) word; a record must not contradict itself.
GRADES_OF_SEVERITY = {Severity.MILD: (1,), Severity.MODERATE: (2,), Severity.SEVERE: (3, 4, 5)}

MILD_OR_MODERATE = (Severity.MILD, Severity.MODERATE)
RESOLVED_OUTCOMES = (Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE)
ONGOING_OUTCOMES = (Outcome.RECOVERING, Outcome.NOT_RECOVERED)
