/* log_files.c: DescribeDBLogFiles and DownloadDBLogFilePortion over the instances' real
 * server logs (engine/logs). Not cacheable: the files grow without any API write. */
#include "rds.h"

ACTION(DescribeDBLogFiles)
{
    describe_log_files_in d = {
        .instance_id = param_str(in, RDS_M_DBInstanceIdentifier),
        .filename_contains = param_str(in, RDS_M_FilenameContains),
        .marker = param_str(in, RDS_M_Marker),
        .file_last_written = act_opt_int(in, RDS_M_FileLastWritten),
        .file_size = act_opt_int(in, RDS_M_FileSize),
    };
    if (act_max_records(in, 100, &d.max_records, err))
        return -1;
    log_file_view *v;
    size_t n;
    const char *next = NULL;
    if (engine_describe_log_files(&rq->er, &d, &v, &n, &next, err))
        return -1;
    res_list(x, "DescribeDBLogFiles");
    for (size_t i = 0; i < n; i++) {
        res_struct(x, "DescribeDBLogFilesDetails");
        res_str(x, "LogFileName", v[i].name);
        res_int(x, "LastWritten", v[i].last_written_ms);
        res_int(x, "Size", v[i].size);
        res_close(x);
    }
    res_close(x);
    res_str(x, "Marker", next);
    return 0;
}

ACTION(DownloadDBLogFilePortion)
{
    log_portion p;
    if (engine_download_log_portion(&rq->er, param_str(in, RDS_M_DBInstanceIdentifier),
                                    param_str(in, RDS_M_LogFileName), param_str(in, RDS_M_Marker),
                                    act_opt_int(in, RDS_M_NumberOfLines), &p, err))
        return -1;
    res_str(x, "LogFileData", p.data ? p.data : "");
    res_str(x, "Marker", p.marker);
    res_bool(x, "AdditionalDataPending", p.more);
    return 0;
}

static const action_def rows[] = {
    { &rds_api, "DescribeDBLogFiles", act_DescribeDBLogFiles, 0 },
    { &rds_api, "DownloadDBLogFilePortion", act_DownloadDBLogFilePortion, 0 },
};
DISPATCH_FAMILY(rds_log_files, rows);
