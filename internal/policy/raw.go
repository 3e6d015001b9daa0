package policy

import (
	"reflect"
	"strings"
)

// The file as it is written, before checking. Pointers tell a section or a flag that is not
// written from one written empty or false; the strict decoder refuses every key not here.
type (
	rawPolicy struct {
		Language     string           `yaml:"language"`
		Categories   []rawCategory    `yaml:"categories"`
		Intake       *rawIntake       `yaml:"intake"`
		Hours        *rawHours        `yaml:"hours"`
		SLA          *rawSLA          `yaml:"sla"`
		AutoClose    *rawAutoClose    `yaml:"auto_close"`
		Satisfaction *rawSatisfaction `yaml:"satisfaction"`
		Canned       []rawCanned      `yaml:"canned"`
	}
	rawCategory struct {
		Name        string        `yaml:"name"`
		Description string        `yaml:"description"`
		Questions   []rawQuestion `yaml:"questions"`
	}
	rawQuestion struct {
		ID       string   `yaml:"id"`
		Ask      string   `yaml:"ask"`
		Required *bool    `yaml:"required"`
		Choices  []string `yaml:"choices"`
	}
	rawIntake struct {
		Enabled *bool  `yaml:"enabled"`
		Timeout string `yaml:"timeout"`
		Suggest *bool  `yaml:"suggest"`
	}
	rawHours struct {
		Timezone    string       `yaml:"timezone"`
		Week        *rawWeek     `yaml:"week"`
		Holidays    []rawHoliday `yaml:"holidays"`
		WorkingDays []string     `yaml:"working_days"`
	}
	rawWeek struct {
		Mon []string `yaml:"mon"`
		Tue []string `yaml:"tue"`
		Wed []string `yaml:"wed"`
		Thu []string `yaml:"thu"`
		Fri []string `yaml:"fri"`
		Sat []string `yaml:"sat"`
		Sun []string `yaml:"sun"`
	}
	rawHoliday struct {
		Date string `yaml:"date"`
		Name string `yaml:"name"`
	}
	rawSLA struct {
		Low      *rawTarget `yaml:"low"`
		Normal   *rawTarget `yaml:"normal"`
		High     *rawTarget `yaml:"high"`
		Urgent   *rawTarget `yaml:"urgent"`
		RemindAt string     `yaml:"remind_at"`
	}
	rawTarget struct {
		FirstResponse string `yaml:"first_response"`
		NextResponse  string `yaml:"next_response"`
		Resolution    string `yaml:"resolution"`
		BusinessHours *bool  `yaml:"business_hours"`
	}
	rawAutoClose struct {
		PendingNudge   string `yaml:"pending_nudge"`
		PendingResolve string `yaml:"pending_resolve"`
		ResolvedClose  string `yaml:"resolved_close"`
	}
	rawSatisfaction struct {
		Ask         string    `yaml:"ask"`
		RemindAfter string    `yaml:"remind_after"`
		Question    *rawTexts `yaml:"question"`
		Reminder    *rawTexts `yaml:"reminder"`
	}
	rawTexts struct {
		En string `yaml:"en"`
		Ru string `yaml:"ru"`
	}
	rawCanned struct {
		Name string  `yaml:"name"`
		Text string  `yaml:"text"`
		Set  *rawSet `yaml:"set"`
	}
	rawSet struct {
		Status   string   `yaml:"status"`
		Tags     []string `yaml:"tags"`
		Priority string   `yaml:"priority"`
	}
)

// rawKeys lists the keys of each mapping of the file, by the Go type the decoder names, and
// keyHomes where each key belongs; both come from the raw types' tags, so they cannot drift.
var rawKeys, keyHomes = func() (map[string][]string, map[string][]string) {
	keys, homes := map[string][]string{}, map[string][]string{}
	var register func(t reflect.Type, path string)
	register = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			if t.Kind() == reflect.Slice {
				path += "[]"
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			names = append(names, name)
			homes[name] = append(homes[name], join(path, name))
			register(f.Type, join(path, name))
		}
		keys[t.String()] = names
	}
	register(reflect.TypeFor[rawPolicy](), "")
	return keys, homes
}()
