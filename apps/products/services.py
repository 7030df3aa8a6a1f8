from django.db import transaction

from .models import ReferenceProfile


@transaction.atomic
def reference_profile_make_primary(*, profile: ReferenceProfile) -> ReferenceProfile:
    """Make one profile the product's primary (and current) one; the previous primary stays current but no
    longer primary, in the same transaction."""
    (ReferenceProfile.objects.select_for_update().filter(product_id=profile.product_id, is_primary=True)
     .exclude(pk=profile.pk).update(is_primary=False))
    profile.is_current = True
    profile.is_primary = True
    profile.full_clean()
    profile.save()
    return profile
