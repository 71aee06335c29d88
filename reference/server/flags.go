package server

import "flag"

// flagHelp is what config.Load returns for -h: not an error for the user.
var flagHelp = flag.ErrHelp
