module github.com/auraguard/libauraguard/bindings/go

go 1.19
