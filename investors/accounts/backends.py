"""allauth's login backend, with one password check per login, whoever asks.

An investor's login is their email address, which is also their username, so allauth's backend
would find the same account by address and again by username and check its password two or
three times, while an unknown address costs one check (its timing mitigation): a wrong password
took measurably longer for an address with an account, which told an attacker it had one. Here
each account's password is checked at most once per login, so both cost one check.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend


class AuthenticationBackend(AllauthBackend):
    def authenticate(self, request, **credentials):
        self._checked_user_ids = set()
        return super().authenticate(request, **credentials)

    def _check_password(self, user, password):
        if user is not None:
            if user.pk in self._checked_user_ids:
                return None
            self._checked_user_ids.add(user.pk)
        return super()._check_password(user, password)
