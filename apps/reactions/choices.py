"""Coded lists of the reaction record. Codes are lower_snake_case, as the CSV importer takes them."""
from django.db import models


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class CtcaeGrade(models.IntegerChoices):
    GRADE_1 = 1, "Grade 1 (mild)"
    GRADE_2 = 2, "Grade 2 (moderate)"
    GRADE_3 = 3, "Grade 3 (severe)"
    GRADE_4 = 4, "Grade 4 (life-threatening)"
    GRADE_5 = 5, "Grade 5 (death)"


class Symptom(models.TextChoices):
    ERYTHEMA = "erythema", "Erythema"
    BRUISING = "bruising", "Bruising"
    INFLAMMATION = "inflammation", "Inflammation"
    PAIN = "pain", "Pain"
    SWELLING = "swelling", "Swelling"
    PRURITUS = "pruritus", "Pruritus"
    OTHER = "other", "Other"


class Seriousness(models.TextChoices):
    """The six ICH E2A seriousness criteria; independent of severity."""

    DEATH = "death", "Results in death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Requires or prolongs hospitalisation"
    DISABILITY = "disability", "Persistent or significant disability/incapacity"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Congenital anomaly/birth defect"
    OTHER_MEDICALLY_IMPORTANT = "other_medically_important", "Other medically important condition"


class Outcome(models.TextChoices):
    """E2B(R3) E.i.7 outcome of the reaction at the time of last observation."""

    RECOVERED = "recovered", "Recovered/resolved"
    RECOVERING = "recovering", "Recovering/resolving"
    NOT_RECOVERED = "not_recovered", "Not recovered/not resolved/ongoing"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", "Recovered/resolved with sequelae"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


class ActionTaken(models.TextChoices):
    WITHDRAWN = "withdrawn", "Drug withdrawn"
    DOSE_REDUCED = "dose_reduced", "Dose reduced"
    DOSE_INCREASED = "dose_increased", "Dose increased"
    UNCHANGED = "unchanged", "Dose not changed"
    UNKNOWN = "unknown", "Unknown"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Causality(models.TextChoices):
    """WHO-UMC causality categories."""

    CERTAIN = "certain", "Certain"
    PROBABLE = "probable", "Probable/likely"
    POSSIBLE = "possible", "Possible"
    UNLIKELY = "unlikely", "Unlikely"
    CONDITIONAL = "conditional", "Conditional/unclassified"
    UNASSESSABLE = "unassessable", "Unassessable/unclassifiable"


class InjectionSite(models.TextChoices):
    ABDOMEN_LEFT = "abdomen_left", "Abdomen, left"
    ABDOMEN_RIGHT = "abdomen_right", "Abdomen, right"
    THIGH_LEFT = "thigh_left", "Thigh, left"
    THIGH_RIGHT = "thigh_right", "Thigh, right"
    UPPER_ARM_LEFT = "upper_arm_left", "Upper arm, left"
    UPPER_ARM_RIGHT = "upper_arm_right", "Upper arm, right"
    BUTTOCK_LEFT = "buttock_left", "Buttock, left"
    BUTTOCK_RIGHT = "buttock_right", "Buttock, right"
    OTHER = "other", "Other"


class ReporterQualification(models.TextChoices):
    """E2B(R3) C.2.r.4 qualification of the primary source."""

    PHYSICIAN = "physician", "Physician"
    PHARMACIST = "pharmacist", "Pharmacist"
    OTHER_HEALTH_PROFESSIONAL = "other_health_professional", "Other health professional"
    LAWYER = "lawyer", "Lawyer"
    CONSUMER = "consumer", "Consumer or other non health professional"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned to the site"
    REVIEWED = "reviewed", "Reviewed (locked)"


# The states in which the site (its reporters) edits and (re)submits.
SITE_EDITABLE = (Status.DRAFT, Status.RETURNED)


class CommentKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    QUESTION = "question", "Question to the site (case returned)"


# CTCAE v5 grades that go with each severity (intensity) word; a record must not contradict itself.
GRADES_OF_SEVERITY = {Severity.MILD: (1,), Severity.MODERATE: (2,), Severity.SEVERE: (3, 4, 5)}

MILD_OR_MODERATE = (Severity.MILD, Severity.MODERATE)
RESOLVED_OUTCOMES = (Outcome.RECOVERED, Outcome.RECOVERED_WITH_SEQUELAE)
ONGOING_OUTCOMES = (Outcome.RECOVERING, Outcome.NOT_RECOVERED)
