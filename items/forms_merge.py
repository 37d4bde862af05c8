"""Forms of the merge tool. They carry item ids only; views look the items up in the organization."""

from django import forms


class PickForm(forms.Form):
    """The merge page's query string: the two items (`item` is the same as `a`) and the survivor."""

    a = forms.IntegerField(required=False, min_value=1)
    b = forms.IntegerField(required=False, min_value=1)
    item = forms.IntegerField(required=False, min_value=1)
    survivor = forms.IntegerField(required=False, min_value=1)

    def ids(self) -> tuple[int | None, int | None, int | None]:
        """(a, b, survivor); ids that aren't numbers are ignored, like a missing choice."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("a") or data.get("item"), data.get("b"), data.get("survivor")


class MergeForm(forms.Form):
    survivor = forms.IntegerField(min_value=1)
    merged = forms.IntegerField(min_value=1)


class PairForm(forms.Form):
    """Two items of a suggestion (dismiss)."""

    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)
    next = forms.CharField(required=False)


class UndoForm(forms.Form):
    """Which item's page to return to after the undo (the survivor's when missing)."""

    back_to = forms.IntegerField(required=False, min_value=1)
