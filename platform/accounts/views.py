"""Server-rendered account pages: sign up, log in/out, e-mail verification, password, profile
(with the linked wallet), API tokens."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import lockout, selectors, services
from accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    SignupForm,
    TokenCreateForm,
)
from accounts.models import User
from accounts.throttles import throttle_wait, wait_minutes
from kernel.errors import ServiceError
from kernel.forms import form_submit
from kernel.uploads import show_refusal, upload_limit, upload_refusal


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind login_required."""

    user: User


def _next_url(request: HttpRequest) -> str:
    """A safe `next` target from the query or the form, else the projects list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _current_language() -> str:
    code = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    codes = {c.lower(): c for c, _name in settings.LANGUAGES}
    return codes.get(code, settings.LANGUAGE_CODE)


def _too_many(response: HttpResponse, wait_s: int) -> HttpResponse:
    """A page refused by a throttle: 429, and when to come back."""
    response.status_code = 429
    response["Retry-After"] = str(wait_s)
    return response


# --- sign up, log in, log out ---------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignupForm(request.POST or None)
    status = 200
    wait_s = throttle_wait(request, "signup") if request.method == "POST" else None
    if wait_s is not None:
        minutes = wait_minutes(wait_s)
        form.add_error(None, ngettext(
            "Too many sign-ups from your network: try again in %(n)s minute.",
            "Too many sign-ups from your network: try again in %(n)s minutes.", minutes) % {
            "n": minutes})
    elif request.method == "POST":
        submitted = form_submit(form, lambda data: services.user_signup(
            username=data["username"], email=data["email"], password=data["password1"],
            display_name=data["display_name"], preferred_language=_current_language()),
            aliases={"password": "password1"})
        if submitted.ok:
            user = submitted.result
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Storyloom, %(name)s! Create your first "
                                        "project below.") % {"name": user.name})
            messages.info(request, _("We sent a link to %(email)s: follow it to verify your "
                                     "address (invitations sent to it need that).") % {
                "email": user.email})
            return redirect(_next_url(request))
        status = submitted.status
    next_url = request.POST.get("next") or request.GET.get("next", "")
    response = render(request, "accounts/signup.html", {"form": form, "next": next_url},
                      status=status)
    return response if wait_s is None else _too_many(response, wait_s)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, _("You are logged out. See you soon!"))
        return response


# --- password -------------------------------------------------------------------------------


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        submitted = form_submit(form, lambda data: services.password_change(
            user=request.user, old_password=data["old_password"],
            new_password=data["new_password1"], revoke_tokens=data["revoke_tokens"]),
            aliases={"new_password": "new_password1"})
        if submitted.ok:
            revoked = submitted.result
            # Stay signed in here; other sessions end (their session hash no longer matches).
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed. Other browsers where you "
                                        "were signed in are signed out."))
            if revoked:
                messages.info(request, ngettext(
                    "%(n)s API token was revoked.", "%(n)s API tokens were revoked.",
                    revoked) % {"n": revoked})
            return redirect("accounts:profile")
        status = submitted.status
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link, at most THROTTLE_PASSWORD_RESET times per client address and per
    address asked for. Unknown addresses are counted and answered like known ones ("sent")."""

    template_name = "accounts/password_reset.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait_s = throttle_wait(request, "password_reset")
        if wait_s is not None:
            minutes = wait_minutes(wait_s)
            return self._refused(self.get_form(), wait_s, ngettext(
                "Too many password resets were asked for from your network: try again in "
                "%(n)s minute.",
                "Too many password resets were asked for from your network: try again in "
                "%(n)s minutes.", minutes) % {"n": minutes})
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        wait_s = throttle_wait(self.request, "password_reset", target=form.cleaned_data["email"])
        if wait_s is not None:
            minutes = wait_minutes(wait_s)
            return self._refused(form, wait_s, ngettext(
                "Too many password resets were asked for this address: if the mails did not "
                "come, check your spam folder, or try again in %(n)s minute.",
                "Too many password resets were asked for this address: if the mails did not "
                "come, check your spam folder, or try again in %(n)s minutes.", minutes) % {
                "n": minutes})
        return super().form_valid(form)

    def _refused(self, form: Any, wait_s: int, message: str) -> HttpResponse:
        form.add_error(None, message)
        return _too_many(self.render_to_response(self.get_context_data(form=form)), wait_s)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The owner proved the mailbox: failed log-ins counted against the account (as by an
        # attacker who locked it) no longer keep them out.
        lockout.login_failures_forget(self.request, username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- e-mail verification ---------------------------------------------------------------------


@never_cache
@require_GET
def verify_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link mailed to an address: verifies it and says so, or says why not. Opened at
    most THROTTLE_VERIFY_EMAIL times per client address (links are not to be probed)."""
    wait_s = throttle_wait(request, "verify_email")
    if wait_s is not None:
        minutes = wait_minutes(wait_s)
        error = ngettext(
            "Too many verification links were opened from your network: try again in %(n)s minute.",
            "Too many verification links were opened from your network: try again in %(n)s minutes.",
            minutes) % {"n": minutes}
        return _too_many(render(request, "accounts/verify_email.html",
                                {"verified": False, "throttled": True, "error": error}), wait_s)
    try:
        user = services.email_verify(uidb64=uidb64, token=token)
    except ServiceError as exc:
        me = request.user
        already = isinstance(me, User) and me.email_verified
        return render(request, "accounts/verify_email.html",
                      {"verified": False, "already": already, "error": exc.message},
                      status=200 if already else 400)
    return render(request, "accounts/verify_email.html", {"verified": True, "email": user.email})


@login_required
@require_POST
def verify_email_resend(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        services.email_verification_resend(user=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("We sent a new link to %(email)s. It may take a minute; "
                                    "check your spam folder too.") % {"email": request.user.email})
    return redirect(_next_url(request) if request.POST.get("next") else "accounts:profile")


# --- profile --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@upload_limit("AVATAR_MAX_BYTES", page=True)  # read no more of an upload than this (kernel.uploads)
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    refusal = upload_refusal(request)
    if request.method == "POST" and refusal is None:
        form = ProfileForm(request.POST, request.FILES)
        old_email = user.email
        submitted = form_submit(form, lambda data: services.profile_update(
            user=user, avatar=data["avatar"], remove_avatar=data["remove_avatar"],
            display_name=data["display_name"], bio=data["bio"],
            preferred_language=data["preferred_language"], email=data["email"]))
        if submitted.ok:
            # Show the page in the language just chosen, also where a switcher cookie is set.
            translation.activate(user.preferred_language)
            messages.success(request, _("Your profile was saved."))
            if user.email != old_email:
                messages.info(request, _("We sent a link to %(email)s: follow it to verify "
                                         "your new address.") % {"email": user.email})
            response = redirect("accounts:profile")
            if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME, user.preferred_language,
                    max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE)
            return response
        status = submitted.status
    else:
        form = ProfileForm(initial={"email": user.email, "display_name": user.display_name,
                                    "bio": user.bio, "preferred_language": user.preferred_language})
        if refusal is not None:  # an avatar over the cap: nothing was read
            show_refusal(form, "avatar", refusal)
            status = refusal.status_code
    return render(request, "accounts/profile.html",
                  {"form": form, "wallet": selectors.wallet_get(user=user)}, status=status)


# --- API tokens -----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List and create tokens. A new token's secret is rendered in the response to the POST
    only; it is stored nowhere (not even in the session) and cannot be shown again."""
    form = TokenCreateForm(request.POST or None)
    created = secret = None
    status = 200
    if request.method == "POST":
        submitted = form_submit(form, lambda data: services.token_create(
            user=request.user, name=data["name"], scopes=data["scopes"],
            expires_in_days=data["expires_in_days"]))
        if submitted.ok:
            created, secret = submitted.result
            form = TokenCreateForm()
        status = submitted.status
    return render(request, "accounts/tokens.html", {
        "form": form,
        "tokens": selectors.token_list(user=request.user),
        "created": created,
        "secret": secret,
    }, status=status)


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.token_revoke(user=request.user, token_id=token_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token “%(name)s” was revoked; programs using it can no longer "
                                    "sign in.") % {"name": token.name})
    return redirect("accounts:tokens")


# --- linked wallet ----------------------------------------------------------------------------
# Linking happens in the browser (static/js/src/account/wallet.js): the wallet signs the message
# the API issues. Reading and unlinking work without scripts.


@login_required
@require_POST
def wallet_unlink(request: AuthenticatedHttpRequest) -> HttpResponse:
    wallet = services.wallet_unlink(user=request.user)
    if wallet is None:
        messages.info(request, _("No wallet was linked to your account."))
    else:
        messages.success(request, _("The wallet %(address)s is unlinked: your payouts and licences "
                                    "go to the address the platform holds for you.") % {
            "address": wallet.address})
    return redirect(reverse("accounts:profile") + "#wallet")
