from django import forms


class WithdrawalForm(forms.Form):
    shares = forms.IntegerField(min_value=1, label="Shares to withdraw")
