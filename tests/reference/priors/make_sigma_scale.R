# brms's default prior tables of one positive response under gaussian(link = "log") and
# lognormal(), whose response has a mad above 2.5 and whose log has one below: they show which
# scale brms takes sigma's default prior from. Writes sigma_scale.json next to this script.
# usage: Rscript make_sigma_scale.R
suppressMessages({library(brms); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
set.seed(1)
d <- data.frame(y = round(exp(rnorm(50, 2, 0.7)), 6), x = round(rnorm(50), 6))
tables <- lapply(list(gaussian_log = gaussian(link = "log"), lognormal = lognormal()),
                 function(family) as.data.frame(get_prior(y ~ x, data = d, family = family)))
write(toJSON(list(brms_version = as.character(packageVersion("brms")), formula = "y ~ x",
                  data = d, get_prior = tables), auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(here, "sigma_scale.json"))
cat("wrote sigma_scale.json\n")
