module github.com/gocsp/gocsp

go 1.23
