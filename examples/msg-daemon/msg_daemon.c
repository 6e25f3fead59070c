/*
 * The project's seed C demo, kept as the reference the TypeScript port must interoperate with
 * (examples/test/msg-daemon.test.ts compiles it). One change from the seed, marked below:
 * -k now takes its argument ("k:"): the seed's "k" left optarg NULL and atoi(NULL) crashed,
 * and the test needs a fresh key. Everything else is as in the seed, bugs included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <time.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>

static void usage(char *prog_name, char *msg);
static void send_msg(int qid, int msgtype);
static void get_msg(int qid, int msgtype);

struct msgbuf {
        long mtype;
        char mtext[80];
};

int main(int argc, char *argv[]){
        int qid, opt;
        int mode = 0;
        int msgtype = 1;
        int msgkey = 1234;

        while((opt = getopt(argc, argv, "srt:k:")  /* seed: "srt:k" */) != -1){
                switch(opt){
                        case 's':
                                mode = 1;
                                break;
                        case 'r':
                                mode = 2;
                                break;
                        case 't':
                                msgtype = atoi(optarg);
                                if(msgtype <= 0){
                                        usage(argv[0], "-t option must be greater than 0\n");
                                }
                                break;
                        case 'k':
                                msgkey = atoi(optarg);
                                break;
                        default:
                                usage(argv[0], "Unreconized option\n");
                }
        }

        if(mode == 0){
                usage(argv[0], "must use either -s or -r option\n");
        }
        qid = msgget(msgkey, IPC_CREAT | 0666);
        if(qid == -1){
                perror("msgget error");
                exit(EXIT_FAILURE);
        }
        if(mode == 2){
                get_msg(qid, msgtype);
        }else{
                send_msg(qid, msgtype);
        }

        exit(EXIT_SUCCESS);
}

static void usage(char *prog_name, char *msg){
        if(msg != NULL){
                fputs(msg, stderr);
        }

        fprintf(stderr, "Usage : %s [options]\n", prog_name);
        fprintf(stderr, "Options are:\n");
        fprintf(stderr, "-s     send message using msgsnd()\n");
        fprintf(stderr, "-r     read message using msgrcv()\n");
        fprintf(stderr, "-t     message type (default is 1)\n");
        fprintf(stderr, "-k     message queue key (default is 1234)\n");

        exit(EXIT_FAILURE);
}


static void send_msg(int qid, int msgtype){
        struct msgbuf msg;
        time_t t;

        msg.mtype = msgtype;
        time(&t);
        snprintf(msg.mtext, sizeof(msg.mtext), "a message at %s", ctime(&t));
        if(msgsnd(qid, (void *)&msg, sizeof(msg.mtext), IPC_NOWAIT) == -1){
                perror("msgsnd error");
                exit(EXIT_FAILURE);
        }

        printf("sent :%s\n", msg.mtext);
}

static void get_msg(int qid, int msgtype){
        struct msgbuf msg;

        if(msgrcv(qid, (void *)&msg, sizeof(msg.mtext), msgtype, MSG_NOERROR | IPC_NOWAIT) == -1){
                if(errno != ENOMSG){
                        perror("msgrcv error");
                        exit(EXIT_FAILURE);
                }
                printf("No message available for msgrcv()\n");
        }else{
                printf("recv : %s\n", msg.mtext);
        }
}
