package main

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/threadesk/threadesk/internal/desk"
	"github.com/threadesk/threadesk/internal/kb"
	"github.com/threadesk/threadesk/internal/policy"
	"github.com/threadesk/threadesk/manifests"
)

// deskFiles holds the desk's two files, the policy (DESK_CONFIG) and the knowledge base
// (KB_PATH), as the engine reads them: the rules' part of the policy, ready for every event,
// and the knowledge base's index. Reload reads both again (SIGHUP, /desk reload) and keeps
// what it had when a file is invalid.
type deskFiles struct {
	categories []string // the settings' CATEGORIES, for a policy that names none
	policy     *policy.Holder
	kbPath     string
	example    bool // no files given: the sandbox's examples, built in

	reload sync.Mutex
	rules  atomic.Pointer[desk.Policy]
	kb     atomic.Pointer[kb.Base]
}

// openDeskFiles opens the files the settings name. With neither set, the sandbox gets the
// example policy and knowledge base built into the binary, so a newcomer meets the bot at
// once; a desk on a platform gets none, as without the files.
func openDeskFiles(cfg Config) (*deskFiles, error) {
	f := &deskFiles{categories: cfg.Categories, kbPath: cfg.KBPath}
	var err error
	switch {
	case cfg.DeskConfig == "" && cfg.KBPath == "" && cfg.Sandbox():
		f.example = true
		p, err := policy.Parse("desk.example.yaml", manifests.DeskExample)
		if err != nil {
			return nil, fmt.Errorf("the built-in example policy: %w", err)
		}
		f.policy = policy.NewHolder(p)
	default:
		if f.policy, err = policy.Open(cfg.DeskConfig); err != nil {
			return nil, fmt.Errorf("DESK_CONFIG: %w", err)
		}
	}
	rules := f.policy.Policy().Desk(f.categories)
	f.rules.Store(&rules)
	base, err := f.loadKB(rules.Language)
	if err != nil {
		return nil, err
	}
	f.kb.Store(base)
	return f, nil
}

// loadKB reads the knowledge base, with lang as its articles' default language.
func (f *deskFiles) loadKB(lang string) (*kb.Base, error) {
	switch {
	case f.example:
		b, err := kb.Parse("kb.example.yaml", manifests.KBExample, lang)
		if err != nil {
			return nil, fmt.Errorf("the built-in example knowledge base: %w", err)
		}
		return b, nil
	case f.kbPath == "":
		return nil, nil
	}
	b, err := kb.Load(f.kbPath, lang)
	if err != nil {
		return nil, fmt.Errorf("KB_PATH: %w", err)
	}
	return b, nil
}

// Rules is the rules' part of the current policy (relay.Options.Policy).
func (f *deskFiles) Rules() desk.Policy { return *f.rules.Load() }

// Reload reads the policy and the knowledge base again. A file that is invalid leaves what
// was loaded from it in place; the error says why. The answer says what is in effect.
func (f *deskFiles) Reload() (string, error) {
	f.reload.Lock()
	defer f.reload.Unlock()
	if f.example {
		return "", errors.New("the sandbox runs on the built-in examples; set DESK_CONFIG or KB_PATH to use files of your own")
	}
	var errs []error
	p := f.policy.Policy()
	if f.policy.Path() != "" {
		np, err := f.policy.Reload()
		if err != nil {
			errs = append(errs, fmt.Errorf("DESK_CONFIG: %w", err))
		} else {
			p = np
		}
	}
	rules := p.Desk(f.categories)
	f.rules.Store(&rules)
	if f.kbPath != "" {
		b, err := f.loadKB(rules.Language)
		if err != nil {
			errs = append(errs, err)
		} else {
			f.kb.Store(b)
		}
	}
	summary := p.Summary()
	if b := f.kb.Load(); b != nil {
		articles := "articles"
		if b.Len() == 1 {
			articles = "article"
		}
		summary += fmt.Sprintf("; knowledge base: %d %s", b.Len(), articles)
	}
	return summary, errors.Join(errs...)
}

// Suggest implements relay.Articles: the articles the bot would suggest for text.
func (f *deskFiles) Suggest(text, lang string, n int) []desk.Article {
	b := f.kb.Load()
	if b == nil {
		return nil
	}
	var out []desk.Article
	for _, r := range b.Search(text, lang, n) {
		if a, ok := b.Article(r.ID); ok {
			out = append(out, deskArticle(a))
		}
	}
	return out
}

// Article implements relay.Articles.
func (f *deskFiles) Article(id string) (desk.Article, bool) {
	b := f.kb.Load()
	if b == nil {
		return desk.Article{}, false
	}
	a, ok := b.Article(id)
	return deskArticle(a), ok
}

// Len implements relay.Articles.
func (f *deskFiles) Len() int {
	if b := f.kb.Load(); b != nil {
		return b.Len()
	}
	return 0
}

func deskArticle(a kb.Article) desk.Article {
	return desk.Article{ID: a.ID, Lang: a.Lang, Title: a.Title, Body: a.Body, Category: a.Category}
}
