# brms 2.18's prior tables (fit$prior of an empty fit: no compilation) when priors are set on
# class b or Intercept without a dpar in models with one linear predictor per category, and
# the warnings brms gives. Writes global_categorical.json next to this script.
# usage: Rscript make_global_categorical.R
suppressMessages({library(brms); library(jsonlite)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
data_dir <- file.path(here, "..", "families", "data")
cases <- list(
  list(id = "categorical", data = "categorical", formula = "choice ~ x",
       family = "categorical()",
       prior = "c(prior(normal(0, 5), class = b), prior(normal(0, 1), class = b, dpar = muc), prior(normal(0, 3), class = Intercept))"),
  list(id = "dirichlet", data = "dirichlet", formula = "cbind(a, b, c) ~ x",
       family = "dirichlet()", dpars = list(phi = "~ x"),
       prior = "prior(normal(0, 2), class = b)")
)
out <- lapply(cases, function(case) {
  d <- read.csv(file.path(data_dir, paste0(case$data, ".csv")))
  f <- case$formula
  if (startsWith(f, "cbind(")) {  # brms takes the columns as one matrix column
    d$response <- with(d, eval(parse(text = sub("^(cbind\\([^)]*\\)).*$", "\\1", f))))
    f <- sub("cbind\\([^)]*\\)", "response", f)
  }
  given <- if (is.null(case$dpars)) list() else case$dpars
  dpars <- lapply(names(given), function(k) as.formula(paste(k, given[[k]])))
  form <- do.call(bf, c(list(as.formula(f)), dpars))
  messages <- character()
  fit <- withCallingHandlers(
    brm(form, data = d, family = eval(parse(text = case$family)),
        prior = eval(parse(text = case$prior)), empty = TRUE),
    warning = function(w) {
      messages <<- c(messages, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  c(case, list(prior_table = as.data.frame(fit$prior), warnings = messages))
})
write(toJSON(list(brms_version = as.character(packageVersion("brms")), cases = out),
             auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(here, "global_categorical.json"))
cat("wrote global_categorical.json\n")
