from django.db import transaction

from .models import ReferenceProfile


@transaction.atomic
def reference_profile_make_current(*, profile: ReferenceProfile) -> ReferenceProfile:
    """Mark one profile current; the product's others stop being current in the same transaction."""
    ReferenceProfile.objects.filter(product_id=profile.product_id, is_current=True).exclude(pk=profile.pk).update(is_current=False)
    profile.is_current = True
    profile.full_clean()
    profile.save()
    return profile
