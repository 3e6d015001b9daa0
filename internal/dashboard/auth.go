package dashboard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/threadesk/threadesk/internal/catalog"
	"github.com/threadesk/threadesk/internal/desk"
)

// viewer is the signed-in person of a request, as the platform knows them now.
type viewer struct {
	desk.Person
	Lead bool
}

type viewerKey struct{}

// cookieName is the session cookie's name: __Host- prefixed over https, where browsers then
// insist on Secure, Path=/ and no Domain, so no other host or path can set or shadow it.
func (d *Dashboard) cookieName() string {
	if d.secure {
		return "__Host-threadesk_session"
	}
	return "threadesk_session"
}

// signinPage shows the link's Sign in as NAME button. Looking is free: link previews and
// scanners open links, so only the button's POST uses the token up.
func (d *Dashboard) signinPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	p, err := d.opts.Store.Signin(r.Context(), token)
	if token == "" || errors.Is(err, desk.ErrNotFound) {
		d.render(w, http.StatusNotFound, "signedout.html", page{Title: d.text(catalog.DashTitleSignIn), Error: d.text(catalog.DashLinkUnknown, "Command", "/desk dashboard")})
		return
	}
	if err != nil {
		d.fail(w, r, unavailable(err))
		return
	}
	d.render(w, http.StatusOK, "signin.html", page{Title: d.text(catalog.DashTitleSignIn), Data: map[string]string{"Token": token, "Name": p.Name}})
}

// signin redeems a token and starts a session, if its person is still an agent.
func (d *Dashboard) signin(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if token == "" {
		d.render(w, http.StatusBadRequest, "signedout.html", page{Title: d.text(catalog.DashTitleSignIn), Error: d.text(catalog.DashLinkNoToken, "Command", "/desk dashboard")})
		return
	}
	id, s, err := d.opts.Store.StartSession(r.Context(), token, d.opts.SessionTTL)
	if errors.Is(err, desk.ErrNotFound) {
		d.render(w, http.StatusNotFound, "signedout.html", page{Title: d.text(catalog.DashTitleSignIn), Error: d.text(catalog.DashLinkUnknown, "Command", "/desk dashboard")})
		return
	}
	if err != nil {
		d.fail(w, r, unavailable(err))
		return
	}
	if _, err := d.check(r.Context(), s.Person); err != nil {
		_ = d.opts.Store.EndSession(context.WithoutCancel(r.Context()), id)
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: d.cookieName(), Value: id, Path: "/", MaxAge: int(d.opts.SessionTTL / time.Second),
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode})
	d.log.Info("dashboard sign-in", "platform", s.Platform, "user", s.UserID)
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// signout ends the browser's session.
func (d *Dashboard) signout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(d.cookieName()); err == nil && c.Value != "" {
		if err := d.opts.Store.EndSession(r.Context(), c.Value); err != nil {
			d.fail(w, r, unavailable(err))
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: d.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode})
	d.render(w, http.StatusOK, "signedout.html", page{Title: d.text(catalog.DashTitleSignedOut), Flash: d.text(catalog.DashSignedOut)})
}

// signedIn serves h only to a signed-in agent; anyone else gets the page that says how to
// sign in, and no data.
func (d *Dashboard) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(d.cookieName())
		if err != nil || c.Value == "" {
			d.render(w, http.StatusUnauthorized, "signedout.html", page{Title: d.text(catalog.DashTitleSignIn)})
			return
		}
		s, err := d.opts.Store.Session(r.Context(), c.Value)
		if errors.Is(err, desk.ErrNotFound) {
			d.render(w, http.StatusUnauthorized, "signedout.html", page{Title: d.text(catalog.DashTitleSignIn), Error: d.text(catalog.DashSessionEnded)})
			return
		}
		if err != nil {
			d.fail(w, r, unavailable(err))
			return
		}
		v, err := d.check(r.Context(), s.Person)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, v)))
	}
}

// check asks the platform whether p is still an agent, and whether a lead.
func (d *Dashboard) check(ctx context.Context, p desk.Person) (*viewer, error) {
	u, agent, lead, err := d.opts.Desk.Person(ctx, p.Platform, p.UserID)
	if err != nil {
		return nil, unavailable(err)
	}
	if !agent {
		return nil, desk.Errorf(desk.EFORBIDDEN, "%s", d.text(catalog.DashAgentsOnly))
	}
	p.Name = u.Label()
	return &viewer{Person: p, Lead: lead}, nil
}

// viewerOf is the request's signed-in person.
func viewerOf(r *http.Request) *viewer {
	v, _ := r.Context().Value(viewerKey{}).(*viewer)
	return v
}

// unavailable marks a store or platform failure as the desk being unreachable, unless it is
// a domain error already.
func unavailable(err error) error {
	var e *desk.Error
	if errors.As(err, &e) {
		return err
	}
	return errors.Join(desk.Errorf(desk.EUNAVAILABLE, "the desk cannot be reached"), err)
}

// invalid marks err as the request's fault.
func invalid(err error) error {
	return desk.Errorf(desk.EINVALID, "%s", err.Error())
}
