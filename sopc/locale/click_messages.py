"""click's own words, for the catalogue (never imported).

click looks up the words it prints itself ("Usage:", "Options", "Error:
No such option ...") with the standard library's ``gettext.gettext``, in
the global text domain. When sopc speaks Chinese it binds that domain to
sopc's catalogue (:func:`sopc.cli._speak`), so these messages, copied from
click's source, need their Chinese in sopc.po like any of sopc's own.
Babel extracts them from here (``tools/i18n.py``); only the ones a user of
sopc can meet are listed (not those about a program's own bugs).
"""


def N_(message: str) -> str:
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


# Help pages (click/core.py, formatting.py, decorators.py)
N_("Usage:")
N_("Options")
N_("Commands")
N_("Positional arguments")
N_("Show this message and exit.")
N_("Show the version and exit.")
N_("default: {default}")
N_("env var: {var}")
N_("(dynamic)")
N_("deprecated")
N_("Choose from:\n\t{choices}")

# Errors (click/exceptions.py, parser.py, core.py, types.py)
N_("Error: {message}")
N_("Try '{command} {option}' for help.")
N_("Invalid value: {message}")
N_("Invalid value for {param_hint}: {message}")
N_("Missing argument")
N_("Missing option")
N_("Missing parameter")
N_("Missing {param_type}")
N_("Missing parameter: {param_name}")
N_("No such option {name!r}.")
N_("No such command {name!r}.")
N_("Missing command.")
N_("Aborted!")
N_("unknown error")
N_("Could not open file {filename!r}: {message}")
ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)
ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)
N_("Option {name!r} does not take a value.")
N_("Argument {name!r} takes {nargs} values.")
ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
ngettext("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}.", 1)
N_("{value!r} is not a valid {number_type}.")
N_("{value} is not in the range {range}.")
N_("{value!r} is not a valid boolean. Recognized values: {states}")
N_("file")
N_("directory")
N_("path")
N_("{name} {filename!r} does not exist.")
N_("{name} {filename!r} is a file.")
N_("{name} {filename!r} is a directory.")
N_("{name} {filename!r} is not readable.")
N_("{name} {filename!r} is not writable.")
N_("{name} {filename!r} is not executable.")
